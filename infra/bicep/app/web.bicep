// Static Web App (Standard) serving static_site/dist, with the function app as its linked /api backend.
param location string
param tags object
param name string
param backendResourceId string
param backendLocation string

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

resource backend 'Microsoft.Web/staticSites/linkedBackends@2024-04-01' = {
  parent: staticWebApp
  name: 'api'
  properties: {
    backendResourceId: backendResourceId
    region: backendLocation
  }
}

output NAME string = staticWebApp.name
output URL string = 'https://${staticWebApp.properties.defaultHostname}'
