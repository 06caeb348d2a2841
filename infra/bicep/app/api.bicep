// Flex Consumption plan and the Python 3.11 function app (REST API + Service Bus ingestion).
// Its app settings are applied by api-settings.bicep once the identity holds its roles.
param location string
param tags object
param planName string
param name string
@description('Blob container URL the Flex host deploys the package from.')
param deploymentContainerUrl string
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048
@description('HTTP requests one instance runs at once; with the pool it bounds the MySQL connections of an instance.')
param httpPerInstanceConcurrency int = 4
@description('Browser origins allowed to call the API (the Static Web App); nothing else.')
param allowedOrigins array

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // The web app calls this URL directly with its bearer token (no cookies).
      cors: {
        allowedOrigins: allowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

output NAME string = functionApp.name
output ID string = functionApp.id
output URL string = 'https://${functionApp.properties.defaultHostName}'
output PRINCIPAL_ID string = functionApp.identity.principalId
