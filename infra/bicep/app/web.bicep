// Static Web App (Standard) serving static_site/dist. No linked /api backend: Static Web Apps
// replaces the Authorization header on proxied calls (Azure/static-web-apps#34, #313), so the
// browser calls the function app's own URL (built in as VITE_API_BASE_URL by the azd hook) and
// the function app allows this origin only (CORS in app/api.bicep).
param location string
param tags object
param name string

resource staticWebApp 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'web' })
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    allowConfigFileUpdates: true
  }
}

output NAME string = staticWebApp.name
output URL string = 'https://${staticWebApp.properties.defaultHostname}'
