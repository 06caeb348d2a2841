// Service Bus namespace: the measurements queue (dead-lettering on) and the invalid-readings queue.
param location string
param tags object
param name string
@allowed(['Basic', 'Standard'])
param skuName string = 'Basic'
param queueName string
param invalidQueueName string
@description('A message is dead-lettered after this many failed deliveries.')
param maxDeliveryCount int = 10

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    // Sensors outside Azure authenticate with a send-only SAS rule; the function app uses its identity.
    disableLocalAuth: false
  }
}

resource measurements 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
    maxSizeInMegabytes: 1024
  }
}

// Readings the platform rejected (malformed, unknown device, far future), with the reason.
resource invalid 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: invalidQueueName
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
    maxSizeInMegabytes: 1024
  }
}

resource sensorSend 'Microsoft.ServiceBus/namespaces/queues/authorizationRules@2024-01-01' = {
  parent: measurements
  name: 'sensors-send'
  properties: {
    rights: ['Send']
  }
}

output NAME string = namespace.name
output FULLY_QUALIFIED_NAMESPACE string = '${namespace.name}.servicebus.windows.net'
output SENSOR_SEND_RULE_NAME string = sensorSend.name
