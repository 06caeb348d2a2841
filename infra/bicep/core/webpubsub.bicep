// Web PubSub with the alerts hub (clients connect with tokens from POST /api/realtime/negotiate).
param location string
param tags object
param name string
param skuName string = 'Free_F1'
param hubName string

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    capacity: 1
  }
  properties: {
    disableLocalAuth: false
    publicNetworkAccess: 'Enabled'
  }
}

resource hub 'Microsoft.SignalRService/webPubSub/hubs@2024-03-01' = {
  parent: webPubSub
  name: hubName
  properties: {
    anonymousConnectPolicy: 'deny'
    eventHandlers: []
  }
}

output NAME string = webPubSub.name
output HOSTNAME string = webPubSub.properties.hostName
output HUB string = hub.name
