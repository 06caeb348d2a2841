// Container Apps environment and the chat app: two containers in one replica, as in
// local/docker-compose.yml. Envoy (ingress target, 8080) translates gRPC-Web from browsers to
// gRPC over HTTP/2 on localhost:50051, where the chat service listens.
param location string
param tags object
param environmentName string
param name string
param logAnalyticsWorkspaceName string
@description('User-assigned identity that pulls images and reads Key Vault secrets.')
param identityId string
param identityClientId string
param registryLoginServer string
@description('Image azd built from chat_container/Dockerfile; empty until the first `azd deploy`.')
param chatImage string = ''
param envoyImage string
param adminUsername string
param databaseUrlSecretUri string
param jwtSecretSecretUri string
param adminPasswordSecretUri string
param applicationInsightsConnectionString string

// Until azd pushes the real image, a public placeholder keeps the revision healthy.
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart:latest'
// The very file compose builds into the Envoy image (tests/deploy checks both use it). Its
// upstream is the compose service name; in this replica the chat container is on localhost.
var envoyConfig = replace(
  loadTextContent('../../../envoy/envoy.yaml'),
  'address: chat, port_value: 50051',
  'address: 127.0.0.1, port_value: 50051'
)

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsWorkspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logAnalytics.properties.customerId
        sharedKey: logAnalytics.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
  }
}

resource chatApp 'Microsoft.App/containerApps@2025-01-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'chat' })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: 8080
        // auto: HTTP/1.1 for gRPC-Web from browsers (Envoy speaks HTTP/2 to the chat upstream).
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: [
        {
          name: 'database-url'
          keyVaultUrl: databaseUrlSecretUri
          identity: identityId
        }
        {
          name: 'jwt-secret'
          keyVaultUrl: jwtSecretSecretUri
          identity: identityId
        }
        {
          name: 'admin-password'
          keyVaultUrl: adminPasswordSecretUri
          identity: identityId
        }
        {
          name: 'envoy-config'
          value: envoyConfig
        }
      ]
    }
    template: {
      // azd deploy replaces the image of the first container: keep chat first.
      containers: [
        {
          name: 'chat'
          image: empty(chatImage) ? placeholderImage : chatImage
          env: [
            { name: 'APP_PROFILE', value: 'production' }
            { name: 'CHAT_PORT', value: '50051' }
            { name: 'DATABASE_URL', secretRef: 'database-url' }
            { name: 'JWT_SECRET', secretRef: 'jwt-secret' }
            { name: 'JWT_ISSUER', value: 'energy-platform' }
            { name: 'ADMIN_USERNAME', value: adminUsername }
            { name: 'ADMIN_PASSWORD', secretRef: 'admin-password' }
            { name: 'AZURE_CLIENT_ID', value: identityClientId }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
          ]
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
        }
        {
          name: 'envoy'
          image: envoyImage
          // Through the image's entrypoint, which drops root for the envoy user.
          args: ['envoy', '-c', '/etc/envoy/envoy.yaml', '--log-level', 'warn']
          resources: {
            cpu: json('0.25')
            memory: '0.5Gi'
          }
          volumeMounts: [
            {
              volumeName: 'envoy-config'
              mountPath: '/etc/envoy'
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'envoy-config'
          storageType: 'Secret'
          secrets: [
            {
              secretRef: 'envoy-config'
              path: 'envoy.yaml'
            }
          ]
        }
      ]
      // One replica: without RabbitMQ in Azure, live chat events are fanned out in-process only.
      scale: {
        minReplicas: 0
        maxReplicas: 1
      }
    }
  }
}

output NAME string = chatApp.name
output URL string = 'https://${chatApp.properties.configuration.ingress.fqdn}'
