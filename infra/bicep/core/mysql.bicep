// Azure Database for MySQL Flexible Server 8.0 with the platform database.
param location string
param tags object
param name string
param administratorLogin string
@secure()
param administratorLoginPassword string
param databaseName string
param skuName string
param skuTier string
@description('Operator IP allowed through the firewall; empty for none.')
param clientIpAddress string = ''

resource server 'Microsoft.DBforMySQL/flexibleServers@2023-12-30' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: '8.0.21'
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorLoginPassword
    storage: {
      storageSizeGB: 20
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: { mode: 'Disabled' }
    network: { publicNetworkAccess: 'Enabled' }
  }
}

resource database 'Microsoft.DBforMySQL/flexibleServers/databases@2023-12-30' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'utf8mb4'
    collation: 'utf8mb4_0900_ai_ci'
  }
}

// 0.0.0.0-0.0.0.0 is Azure's convention for "allow Azure services" (Flex Consumption has no fixed outbound IP).
resource allowAzureServices 'Microsoft.DBforMySQL/flexibleServers/firewallRules@2023-12-30' = {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource allowOperator 'Microsoft.DBforMySQL/flexibleServers/firewallRules@2023-12-30' = if (!empty(clientIpAddress)) {
  parent: server
  name: 'AllowOperator'
  properties: {
    startIpAddress: clientIpAddress
    endIpAddress: clientIpAddress
  }
}

output NAME string = server.name
output FQDN string = server.properties.fullyQualifiedDomainName
output DATABASE_NAME string = database.name
