// The function app's settings, applied after core/roles.bicep so that Key Vault references and the
// identity-based connections resolve on the first start.
param functionAppName string
param storageAccountName string
param applicationInsightsConnectionString string
param serviceBusFullyQualifiedNamespace string
param measurementsQueue string
param webPubSubHub string
param adminUsername string
param dbPoolSize int
@description('Key Vault secret: the database URL of the application user (rows only), never the administrator\'s.')
param databaseUrlSecretUri string
param jwtSecretSecretUri string
param adminPasswordSecretUri string
param webPubSubConnectionStringSecretUri string

// Every setting the code reads in Azure (tests/deploy/test_bicep_settings.py compares them with the
// code). Secrets are Key Vault references resolved with the app's system-assigned identity.
// No FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION: Flex takes both from functionAppConfig.
var appSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APP_PROFILE: 'production'
  DATABASE_URL: '@Microsoft.KeyVault(SecretUri=${databaseUrlSecretUri})'
  DB_POOL_SIZE: string(dbPoolSize)
  JWT_SECRET: '@Microsoft.KeyVault(SecretUri=${jwtSecretSecretUri})'
  JWT_ISSUER: 'energy-platform'
  ACCESS_TOKEN_MINUTES: '15'
  REFRESH_TOKEN_DAYS: '7'
  ADMIN_USERNAME: adminUsername
  ADMIN_PASSWORD: '@Microsoft.KeyVault(SecretUri=${adminPasswordSecretUri})'
  LOGIN_MAX_FAILURES: '5'
  LOGIN_LOCKOUT_SECONDS: '300'
  // Login limits and sessions (docs/security.md). Browsers call the function app's own URL (no
  // Static Web Apps linked backend), so the client is the X-Forwarded-For entry the Functions
  // front end appends: the last one. Anything left of it was written by the caller.
  LOGIN_BACKOFF_BASE_SECONDS: '2'
  LOGIN_WINDOW_SECONDS: '900'
  LOGIN_ACCOUNT_MAX_FAILURES: '20'
  LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS: '60'
  LOGIN_ADDRESS_MAX_FAILURES: '20'
  LOGIN_ADDRESS_BACKOFF_MAX_SECONDS: '300'
  LOGIN_MAX_CONCURRENT_HASHES: '1'
  LOGIN_HASH_WAIT_MS: '500'
  LOGIN_HASH_QUEUE: '1'
  TRUSTED_PROXY_HOPS: '1'
  REFRESH_REUSE_GRACE_SECONDS: '30'
  WEBPUBSUB_CONNECTION_STRING: '@Microsoft.KeyVault(SecretUri=${webPubSubConnectionStringSecretUri})'
  WEBPUBSUB_HUB: webPubSubHub
  MEASUREMENTS_TRANSPORT: 'servicebus'
  MEASUREMENTS_QUEUE: measurementsQueue
  // Metering and alert bounds (docs/alerts.md); the values are the code's defaults.
  METER_ESTIMATE_GAP_MINUTES: '60'
  METER_MAX_SPREAD_DAYS: '31'
  METER_MAX_READING_KWH: '1000000000'
  INGEST_MAX_HOURS_PER_BATCH: '20000'
  ALERT_BACKFILL_HOURS: '24'
  ALERT_MAX_PUSHES_PER_OWNER: '20'
  // Fleet status of the operator console (docs/operations-console.md): late, then silent.
  FLEET_LATE_AFTER_MINUTES: '30'
  FLEET_SILENT_AFTER_MINUTES: '120'
  // Identity-based connection for connection="SERVICEBUS_CONNECTION" (trigger and output binding).
  // It also sends dead letters to <queue>-invalid through the SDK (shared/ingestion/servicebus.py).
  SERVICEBUS_CONNECTION__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
}

