// The whole platform in one resource group: `azd up`, or
// `az deployment sub create -l <region> -f infra/bicep/main.bicep -p infra/bicep/main.parameters.json`.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; part of every resource name and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region of every resource except the Static Web App.')
param location string

@description('Region of the Static Web App (a short list of regions offers it).')
@allowed(['westeurope', 'westus2', 'centralus', 'eastus2', 'eastasia'])
param staticWebAppLocation string = 'westeurope'

@description('Object id of the user or service principal running the deployment (Key Vault Secrets Officer); empty to skip.')
param principalId string = ''

@description('Public IP of the operator machine allowed through the MySQL firewall (for migrations); empty for none.')
param clientIpAddress string = ''

@description('MySQL administrator login: only the migration job connects with it.')
param mysqlAdminLogin string = 'energyadmin'

@secure()
@minLength(8)
@description('MySQL administrator password (azd: kept in Key Vault as mysql-admin-password).')
param mysqlAdminPassword string

@minLength(1)
@maxLength(32)
@description('MySQL login of the function app and the chat (letters, digits, _): SELECT, INSERT, UPDATE, DELETE on the database; the migration job creates it.')
param mysqlAppLogin string = 'energy_app'

@secure()
@minLength(12)
@description('Password of mysqlAppLogin (azd: kept in Key Vault as mysql-app-password); a new value takes effect at the next migration job.')
param mysqlAppPassword string

@description('Database the platform uses.')
param mysqlDatabaseName string = 'energy'

@description('MySQL Flexible Server SKU. Every allowed SKU has max_connections >= the budget below (B2s: 2 vCores, 4 GiB, 341).')
@allowed(['Standard_B2s', 'Standard_B2ms', 'Standard_B4ms'])
param mysqlSkuName string = 'Standard_B2s'

@allowed(['Burstable', 'GeneralPurpose', 'BusinessCritical'])
param mysqlSkuTier string = 'Burstable'

@description('Bootstrap administrator of the platform (created on the first start when no admin exists).')
param adminUsername string = 'admin'

@secure()
@minLength(12)
@description('Bootstrap administrator password (azd: kept in Key Vault as admin-password).')
param adminPassword string

@secure()
@minLength(12)
@description('Random seed of the JWT signing secret (the stored secret is 40+ characters).')
param jwtSecretSeed string

@allowed(['Standard', 'Premium'])
@description('Service Bus tier; Standard has the topics the chat fans out through (Basic has queues only).')
param serviceBusSku string = 'Standard'

@allowed(['Free_F1', 'Standard_S1', 'Premium_P1'])
@description('Web PubSub SKU; Free_F1 allows 20 concurrent connections and 20,000 messages a day.')
param webPubSubSku string = 'Free_F1'

@minValue(40)
@maxValue(1000)
@description('Flex Consumption scale-out limit (Flex accepts 40-1000); each instance opens up to 4 x dbPoolSize MySQL connections.')
param functionMaximumInstanceCount int = 40

@minValue(1)
@description('HTTP requests a function instance runs at once (Flex perInstanceConcurrency); matches its 4 x dbPoolSize connections.')
param functionHttpPerInstanceConcurrency int = 4

@allowed([2048, 4096])
param functionInstanceMemoryMB int = 2048

@description('DB_POOL_SIZE of a function instance: read and write pools of this size, each with as much overflow.')
param dbPoolSize int = 1

@description('DB_POOL_SIZE of a chat replica (4 x this many connections; 16 store threads).')
param chatDbPoolSize int = 4

@minValue(1)
@maxValue(10)
@description('Chat replicas at most (events shared through the Service Bus topic).')
param chatMaxReplicas int = 4

@description('Chat image pushed by azd (SERVICE_CHAT_IMAGE_NAME); empty uses a placeholder until the first deploy.')
param chatImageName string = ''

@description('Origins the web app is also served from, e.g. a custom domain: ["https://energy.example.com"] (scheme and host, no trailing slash). The API and the chat allow these and the Static Web App URL, nothing else (CORS).')
param webExtraOrigins array = []

@description('Envoy image beside the chat container (keep equal to envoy/Dockerfile).')
param envoyImage string = 'docker.io/envoyproxy/envoy:v1.39.6'

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var measurementsQueue = 'measurements'
var invalidQueue = 'measurements-invalid'
var webPubSubHub = 'alerts'
var deploymentContainer = 'app-package-${take(resourceToken, 7)}'
// Every origin the browser app is served from: the API's and the chat's CORS allow exactly these.
var webOrigins = concat([web.outputs.URL], webExtraOrigins)
// MySQL connection budget at full scale (docs/deployment.md "Scale and MySQL connections"):
// every function instance and chat replica holds at most 4 x its DB_POOL_SIZE (read + write
// pools, each pool_size + max_overflow), the migration job one pool's worth (it opens one
// connection at a time: Alembic, then the grant), plus operator sessions.
var mysqlConnectionBudget = (functionMaximumInstanceCount * 4 * dbPoolSize) + (chatMaxReplicas * 4 * chatDbPoolSize) + (4 * chatDbPoolSize) + 10

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    containerName: deploymentContainer
  }
}

module mysql 'core/mysql.bicep' = {
  name: 'mysql'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.dBforMySQLServers}${resourceToken}'
    administratorLogin: mysqlAdminLogin
    administratorLoginPassword: mysqlAdminPassword
    databaseName: mysqlDatabaseName
    skuName: mysqlSkuName
    skuTier: mysqlSkuTier
    clientIpAddress: clientIpAddress
  }
}

module serviceBus 'core/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    skuName: serviceBusSku
    queueName: measurementsQueue
    invalidQueueName: invalidQueue
  }
}

module webPubSub 'core/webpubsub.bicep' = {
  name: 'webpubsub'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.signalRServiceWebPubSub}${resourceToken}'
    skuName: webPubSubSku
    hubName: webPubSubHub
  }
}

module keyVault 'core/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    mysqlHost: mysql.outputs.FQDN
    mysqlDatabaseName: mysqlDatabaseName
    mysqlAdminLogin: mysqlAdminLogin
    mysqlAdminPassword: mysqlAdminPassword
    mysqlAppLogin: mysqlAppLogin
    mysqlAppPassword: mysqlAppPassword
    adminPassword: adminPassword
    jwtSecretSeed: jwtSecretSeed
    webPubSubName: webPubSub.outputs.NAME
    serviceBusNamespaceName: serviceBus.outputs.NAME
    queueName: measurementsQueue
    sensorSendRuleName: serviceBus.outputs.SENSOR_SEND_RULE_NAME
    chatTopicName: serviceBus.outputs.CHAT_TOPIC_NAME
    chatRuleName: serviceBus.outputs.CHAT_RULE_NAME
  }
}

module registry 'core/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.containerRegistryRegistries}${resourceToken}'
  }
}

module chatIdentity 'core/identity.bicep' = {
  name: 'chat-identity'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.managedIdentityUserAssignedIdentities}chat-${resourceToken}'
  }
}

// The migration job's own identity: the chat app's could then not read the administrator URL.
module migrationIdentity 'core/identity.bicep' = {
  name: 'migration-identity'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.managedIdentityUserAssignedIdentities}migrate-${resourceToken}'
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: '${abbrs.webServerFarms}${resourceToken}'
    name: '${abbrs.webSitesFunctions}api-${resourceToken}'
    deploymentContainerUrl: '${storage.outputs.PRIMARY_BLOB_ENDPOINT}${deploymentContainer}'
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    httpPerInstanceConcurrency: functionHttpPerInstanceConcurrency
    allowedOrigins: webOrigins
  }
}

module apiSettings 'app/api-settings.bicep' = {
  name: 'api-settings'
  scope: rg
  params: {
    functionAppName: api.outputs.NAME
    storageAccountName: storage.outputs.NAME
    applicationInsightsConnectionString: monitoring.outputs.APPLICATIONINSIGHTS_CONNECTION_STRING
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.FULLY_QUALIFIED_NAMESPACE
    measurementsQueue: measurementsQueue
    webPubSubHub: webPubSubHub
    adminUsername: adminUsername
    dbPoolSize: dbPoolSize
    databaseUrlSecretUri: keyVault.outputs.DATABASE_URL_SECRET_URI
    jwtSecretSecretUri: keyVault.outputs.JWT_SECRET_SECRET_URI
    adminPasswordSecretUri: keyVault.outputs.ADMIN_PASSWORD_SECRET_URI
    webPubSubConnectionStringSecretUri: keyVault.outputs.WEBPUBSUB_CONNECTION_STRING_SECRET_URI
  }
  dependsOn: [roles]
}

module web 'app/web.bicep' = {
  name: 'web'
  scope: rg
  params: {
    location: staticWebAppLocation
    tags: tags
    name: '${abbrs.webStaticSites}${resourceToken}'
  }
}

module chat 'app/chat.bicep' = {
  name: 'chat'
  scope: rg
  params: {
    location: location
    tags: tags
    environmentName: '${abbrs.appManagedEnvironments}${resourceToken}'
    name: '${abbrs.appContainerApps}chat-${resourceToken}'
    logAnalyticsWorkspaceName: monitoring.outputs.LOG_ANALYTICS_WORKSPACE_NAME
    identityId: chatIdentity.outputs.ID
    identityClientId: chatIdentity.outputs.CLIENT_ID
    migrationIdentityId: migrationIdentity.outputs.ID
    registryLoginServer: registry.outputs.LOGIN_SERVER
    chatImage: chatImageName
    envoyImage: envoyImage
    adminUsername: adminUsername
    databaseUrlSecretUri: keyVault.outputs.DATABASE_URL_SECRET_URI
    jwtSecretSecretUri: keyVault.outputs.JWT_SECRET_SECRET_URI
    adminPasswordSecretUri: keyVault.outputs.ADMIN_PASSWORD_SECRET_URI
    databaseAdminUrlSecretUri: keyVault.outputs.DATABASE_ADMIN_URL_SECRET_URI
    mysqlAppLogin: mysqlAppLogin
    mysqlAppPasswordSecretUri: keyVault.outputs.MYSQL_APP_PASSWORD_SECRET_URI
    applicationInsightsConnectionString: monitoring.outputs.APPLICATIONINSIGHTS_CONNECTION_STRING
    chatEventsConnectionStringSecretUri: keyVault.outputs.CHAT_EVENTS_CONNECTION_STRING_SECRET_URI
    webOrigins: webOrigins
    dbPoolSize: chatDbPoolSize
    maxReplicas: chatMaxReplicas
  }
  dependsOn: [roles]
}

module roles 'core/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    functionPrincipalId: api.outputs.PRINCIPAL_ID
    chatPrincipalId: chatIdentity.outputs.PRINCIPAL_ID
    migrationPrincipalId: migrationIdentity.outputs.PRINCIPAL_ID
    deployerPrincipalId: principalId
    storageAccountName: storage.outputs.NAME
    serviceBusNamespaceName: serviceBus.outputs.NAME
    keyVaultName: keyVault.outputs.NAME
    registryName: registry.outputs.NAME
    functionSecretNames: keyVault.outputs.FUNCTION_SECRET_NAMES
    chatSecretNames: keyVault.outputs.CHAT_SECRET_NAMES
    migrationSecretNames: keyVault.outputs.MIGRATION_SECRET_NAMES
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.NAME
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.ENDPOINT
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.LOGIN_SERVER
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.NAME
output AZURE_FUNCTION_APP_NAME string = api.outputs.NAME
output API_BASE_URL string = '${api.outputs.URL}/api'
output WEB_URL string = web.outputs.URL
output CHAT_GRPC_WEB_URL string = chat.outputs.URL
output MIGRATION_JOB_NAME string = chat.outputs.MIGRATION_JOB_NAME
output MYSQL_CONNECTION_BUDGET int = mysqlConnectionBudget
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.APPLICATIONINSIGHTS_CONNECTION_STRING
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.NAME
output SERVICEBUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.FULLY_QUALIFIED_NAMESPACE
output MEASUREMENTS_QUEUE string = measurementsQueue
output MYSQL_SERVER_NAME string = mysql.outputs.NAME
output MYSQL_HOST string = mysql.outputs.FQDN
output MYSQL_DATABASE string = mysqlDatabaseName
output MYSQL_APP_LOGIN string = mysqlAppLogin
output WEBPUBSUB_HOSTNAME string = webPubSub.outputs.HOSTNAME
