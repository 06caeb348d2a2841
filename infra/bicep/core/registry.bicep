// Container registry azd pushes the chat image to (pulled by the chat app's identity).
param location string
param tags object
param name string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: {
    adminUserEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output NAME string = registry.name
output LOGIN_SERVER string = registry.properties.loginServer
