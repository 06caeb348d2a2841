// Every role assignment of the platform, in one place.
param functionPrincipalId string
param chatPrincipalId string
@description('Identity of the migration job alone: the only one that may read the URL of the MySQL administrator.')
param migrationPrincipalId string
@description('The deploying user (azd AZURE_PRINCIPAL_ID); empty to skip.')
param deployerPrincipalId string = ''
param storageAccountName string
param serviceBusNamespaceName string
param keyVaultName string
param registryName string
@description('Key Vault secrets the function app reads (its Key Vault references), by name.')
param functionSecretNames array
@description('Key Vault secrets the chat app reads, by name.')
param chatSecretNames array
@description('Key Vault secrets the migration job reads, by name: the administrator URL and the password of the application user.')
param migrationSecretNames array

// Built-in role definition ids (stable across tenants).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

// Function app: AzureWebJobsStorage__accountName and the Flex deployment container.
resource functionStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, functionPrincipalId, roles.storageBlobDataOwner)
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

// Function app: the measurements trigger (receive) and the invalid-readings output (send).
resource functionServiceBusReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus
  name: guid(serviceBus.id, functionPrincipalId, roles.serviceBusDataReceiver)
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

resource functionServiceBusSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus
  name: guid(serviceBus.id, functionPrincipalId, roles.serviceBusDataSender)
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
  }
}

// Key Vault: every app may read exactly the secrets its settings reference, each assignment
// scoped to one secret (nothing at the vault's scope but the deployer's). The vault is shared,
// the administrator's database URL is the migration job's alone (tests/deploy/test_bicep.py).
resource functionSecrets 'Microsoft.KeyVault/vaults/secrets@2024-11-01' existing = [for name in functionSecretNames: {
  parent: vault
  name: name
}]

resource functionKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in functionSecretNames: {
  scope: functionSecrets[i]
  name: guid(vault.id, name, functionPrincipalId, roles.keyVaultSecretsUser)
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}]

resource chatSecrets 'Microsoft.KeyVault/vaults/secrets@2024-11-01' existing = [for name in chatSecretNames: {
  parent: vault
  name: name
}]

resource chatKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in chatSecretNames: {
  scope: chatSecrets[i]
  name: guid(vault.id, name, chatPrincipalId, roles.keyVaultSecretsUser)
  properties: {
    principalId: chatPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}]

resource migrationSecrets 'Microsoft.KeyVault/vaults/secrets@2024-11-01' existing = [for name in migrationSecretNames: {
  parent: vault
  name: name
}]

resource migrationKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in migrationSecretNames: {
  scope: migrationSecrets[i]
  name: guid(vault.id, name, migrationPrincipalId, roles.keyVaultSecretsUser)
  properties: {
    principalId: migrationPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}]

resource chatAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, chatPrincipalId, roles.acrPull)
  properties: {
    principalId: chatPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

// The migration job runs the chat image too.
resource migrationAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, migrationPrincipalId, roles.acrPull)
  properties: {
    principalId: migrationPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

// The deploying user: azd's secretOrRandomPassword reads the secrets back on the next provision.
resource deployerKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  scope: vault
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  properties: {
    principalId: deployerPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}
