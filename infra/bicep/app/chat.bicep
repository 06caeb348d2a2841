// Container Apps environment, the chat app and the migration job. The chat app runs two
// containers per replica, as in local/docker-compose.yml: Envoy (ingress target, 8080)
// translates gRPC-Web from browsers to gRPC over HTTP/2 on localhost:50051, where the chat
// service listens. Replicas fan events out to each other through a Service Bus topic (one
// subscription per replica, chat_container/servicebus.py) and scale on open streams.
// The job runs `python -m shared.migrate upgrade --grant-app-user` with the same image but its
// own identity and secrets: the MySQL administrator's URL (the chat app has the application
// user's) and the application user's name and password, to provision that user. The azd hook
// (`python -m local.azd migrate`) starts it after every deploy of the chat image.
param location string
param tags object
param environmentName string
param name string
param logAnalyticsWorkspaceName string
@description('User-assigned identity of the chat app: pulls images, reads its Key Vault secrets.')
param identityId string
param identityClientId string
@description('User-assigned identity of the migration job: pulls images, reads the administrator URL.')
param migrationIdentityId string
param registryLoginServer string
@description('Image azd built from chat_container/Dockerfile; empty until the first `azd deploy`.')
param chatImage string = ''
param envoyImage string
param adminUsername string
@description('Key Vault secret: the application user\'s database URL (the chat app).')
param databaseUrlSecretUri string
param jwtSecretSecretUri string
param adminPasswordSecretUri string
@description('Key Vault secret: the MySQL administrator\'s database URL (the migration job only).')
param databaseAdminUrlSecretUri string
@description('The application user the migration job provisions.')
param mysqlAppLogin string
param mysqlAppPasswordSecretUri string
param applicationInsightsConnectionString string
param chatEventsConnectionStringSecretUri string
@description('The web app origins (its Static Web App URL, then any custom domains): the only origins Envoy lets call (CORS).')
param webOrigins array
@description('DB_POOL_SIZE of a chat replica: 4 x this many MySQL connections at most.')
param dbPoolSize int = 4
@minValue(1)
@maxValue(10)
param maxReplicas int = 4
@description('Open requests (gRPC-Web streams count while open) per replica before another starts.')
param concurrentRequestsPerReplica int = 200

// Until azd pushes the real image, a public placeholder keeps the revision healthy.
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart:latest'
// The very file compose builds into the Envoy image (tests/deploy checks both use it). Its
// upstream is the compose service name; in this replica the chat container is on localhost.
// The CORS placeholder entry becomes one exact match per web app origin (compose: one origin,
// envoy/Dockerfile's sed).
var envoyConfig = replace(
  replace(
    loadTextContent('../../../envoy/envoy.yaml'),
    'address: chat, port_value: 50051',
    'address: 127.0.0.1, port_value: 50051'
  ),
  '{exact: "https://web-origin.invalid"}',
  join(map(webOrigins, origin => '{exact: "${origin}"}'), ', ')
)
var secretRefs = [
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
]
var platformEnv = [
  { name: 'APP_PROFILE', value: 'production' }
  { name: 'DATABASE_URL', secretRef: 'database-url' }
  { name: 'DB_POOL_SIZE', value: string(dbPoolSize) }
  { name: 'JWT_SECRET', secretRef: 'jwt-secret' }
  { name: 'JWT_ISSUER', value: 'energy-platform' }
  { name: 'ADMIN_USERNAME', value: adminUsername }
  { name: 'ADMIN_PASSWORD', secretRef: 'admin-password' }
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
]
// The migration job reads shared.settings.MigrationSettings only: no JWT or platform secrets.
var migrationSecretRefs = [
  {
    name: 'database-admin-url'
    keyVaultUrl: databaseAdminUrlSecretUri
    identity: migrationIdentityId
  }
  {
    name: 'mysql-app-password'
    keyVaultUrl: mysqlAppPasswordSecretUri
    identity: migrationIdentityId
  }
]
var migrationEnv = [
  { name: 'DATABASE_URL', secretRef: 'database-admin-url' }
  { name: 'APP_DATABASE_USER', value: mysqlAppLogin }
  { name: 'APP_DATABASE_PASSWORD', secretRef: 'mysql-app-password' }
]

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
      secrets: concat(secretRefs, [
        {
          name: 'chat-events-connection-string'
          keyVaultUrl: chatEventsConnectionStringSecretUri
          identity: identityId
        }
        {
          name: 'envoy-config'
          value: envoyConfig
        }
      ])
    }
    template: {
      // azd deploy replaces the image of the first container: keep chat first.
      containers: [
        {
          name: 'chat'
          image: empty(chatImage) ? placeholderImage : chatImage
          env: concat(platformEnv, [
            { name: 'CHAT_PORT', value: '50051' }
            { name: 'CHAT_EVENTS_SERVICEBUS_CONNECTION_STRING', secretRef: 'chat-events-connection-string' }
          ])
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
      // Replicas share events through the Service Bus topic, so any number may serve.
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'open-streams'
            http: {
              metadata: {
                concurrentRequests: string(concurrentRequestsPerReplica)
              }
            }
          }
        ]
      }
    }
  }
}

// One-shot schema migration with the chat image (it holds shared/ and Alembic), as the MySQL
// administrator, then the application user's provisioning; started by `python -m local.azd
// migrate` after each `azd deploy` of the chat.
resource migrateJob 'Microsoft.App/jobs@2025-01-01' = {
  name: '${name}-migrate'
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${migrationIdentityId}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: 600
      replicaRetryLimit: 1
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      registries: [
        {
          server: registryLoginServer
          identity: migrationIdentityId
        }
      ]
      secrets: migrationSecretRefs
    }
    template: {
      containers: [
        {
          name: 'migrate'
          image: empty(chatImage) ? placeholderImage : chatImage
          command: ['python', '-m', 'shared.migrate', 'upgrade', '--grant-app-user']
          env: migrationEnv
          resources: {
            cpu: json('0.25')
            memory: '0.5Gi'
          }
        }
      ]
    }
  }
}

output NAME string = chatApp.name
output URL string = 'https://${chatApp.properties.configuration.ingress.fqdn}'
output MIGRATION_JOB_NAME string = migrateJob.name
