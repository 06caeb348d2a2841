// Key Vault (RBAC) holding every secret the apps read through Key Vault references.
param location string
param tags object
param name string
param mysqlHost string
param mysqlDatabaseName string
param mysqlAdminLogin string
@secure()
param mysqlAdminPassword string
@description('Login of the application user (function app, chat); the migration job creates it.')
param mysqlAppLogin string
@secure()
param mysqlAppPassword string
@secure()
param adminPassword string
@secure()
param jwtSecretSeed string
param webPubSubName string
param serviceBusNamespaceName string
param queueName string
param sensorSendRuleName string
param chatTopicName string
param chatRuleName string

// MySQL requires TLS; PyMySQL verifies the server against certifi's CA bundle (ssl_ca=certifi is
// resolved by shared/db.py: the Flex worker's system bundle path is not documented).
// Two URLs: the administrator's for the migration job only (schema, and it provisions the
// application user), the application user's (SELECT, INSERT, UPDATE, DELETE on the database)
// for the function app and the chat. core/roles.bicep lets each identity read only its own.
var databaseAdminUrl = 'mysql+pymysql://${mysqlAdminLogin}:${uriComponent(mysqlAdminPassword)}@${mysqlHost}:3306/${mysqlDatabaseName}?charset=utf8mb4&ssl_ca=certifi'
var databaseUrl = 'mysql+pymysql://${mysqlAppLogin}:${uriComponent(mysqlAppPassword)}@${mysqlHost}:3306/${mysqlDatabaseName}?charset=utf8mb4&ssl_ca=certifi'
// 15-character azd seed + two derived blocks = 41 characters (JWT_SECRET needs 32+).
var jwtSecret = '${jwtSecretSeed}${uniqueString(jwtSecretSeed, 'jwt-1')}${uniqueString(jwtSecretSeed, 'jwt-2')}'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' existing = {
  name: webPubSubName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource measurementsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: serviceBus
  name: queueName
}

resource sensorSendRule 'Microsoft.ServiceBus/namespaces/queues/authorizationRules@2024-01-01' existing = {
  parent: measurementsQueue
  name: sensorSendRuleName
}

resource chatTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = {
  parent: serviceBus
  name: chatTopicName
}

resource chatRule 'Microsoft.ServiceBus/namespaces/topics/authorizationRules@2024-01-01' existing = {
  parent: chatTopic
  name: chatRuleName
}

// Secret names are what azd's secretOrRandomPassword reads back on the next `azd provision`.
resource mysqlAdminPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'mysql-admin-password'
  properties: {
    value: mysqlAdminPassword
    contentType: 'text/plain'
  }
}

resource mysqlAppPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'mysql-app-password'
  properties: {
    value: mysqlAppPassword
    contentType: 'text/plain'
  }
}

// The application user's URL: what the function app and the chat connect with.
resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    value: databaseUrl
    contentType: 'text/plain'
  }
}

// The administrator's URL: the migration job's alone.
resource databaseAdminUrlSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'database-admin-url'
  properties: {
    value: databaseAdminUrl
    contentType: 'text/plain'
  }
}

resource adminPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'admin-password'
  properties: {
    value: adminPassword
    contentType: 'text/plain'
  }
}

resource jwtSecretSeedSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'jwt-secret-seed'
  properties: {
    value: jwtSecretSeed
    contentType: 'text/plain'
  }
}

resource jwtSecretSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'jwt-secret'
  properties: {
    value: jwtSecret
    contentType: 'text/plain'
  }
}

resource webPubSubConnectionStringSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'webpubsub-connection-string'
  properties: {
    value: webPubSub.listKeys().primaryConnectionString
    contentType: 'text/plain'
  }
}

resource sensorConnectionStringSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'sensor-send-connection-string'
  properties: {
    value: sensorSendRule.listKeys().primaryConnectionString
    contentType: 'text/plain'
  }
}

resource chatEventsConnectionStringSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'chat-events-connection-string'
  properties: {
    value: chatRule.listKeys().primaryConnectionString
    contentType: 'text/plain'
  }
}

output NAME string = vault.name
output ENDPOINT string = vault.properties.vaultUri
// Versionless URIs: a Key Vault reference then follows secret rotation.
output DATABASE_URL_SECRET_URI string = databaseUrlSecret.properties.secretUri
output DATABASE_ADMIN_URL_SECRET_URI string = databaseAdminUrlSecret.properties.secretUri
output MYSQL_APP_PASSWORD_SECRET_URI string = mysqlAppPasswordSecret.properties.secretUri
output JWT_SECRET_SECRET_URI string = jwtSecretSecret.properties.secretUri
output ADMIN_PASSWORD_SECRET_URI string = adminPasswordSecret.properties.secretUri
output WEBPUBSUB_CONNECTION_STRING_SECRET_URI string = webPubSubConnectionStringSecret.properties.secretUri
output SENSOR_CONNECTION_STRING_SECRET_NAME string = sensorConnectionStringSecret.name
output CHAT_EVENTS_CONNECTION_STRING_SECRET_URI string = chatEventsConnectionStringSecret.properties.secretUri
// Secret names, for the role assignments scoped to single secrets (core/roles.bicep): each app
// may read exactly the secrets its settings reference.
output FUNCTION_SECRET_NAMES array = [
  databaseUrlSecret.name
  jwtSecretSecret.name
  adminPasswordSecret.name
  webPubSubConnectionStringSecret.name
]
output CHAT_SECRET_NAMES array = [
  databaseUrlSecret.name
  jwtSecretSecret.name
  adminPasswordSecret.name
  chatEventsConnectionStringSecret.name
]
output MIGRATION_SECRET_NAMES array = [
  databaseAdminUrlSecret.name
  mysqlAppPasswordSecret.name
]
