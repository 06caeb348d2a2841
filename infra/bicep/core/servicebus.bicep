// Service Bus namespace: the measurements queue (dead-lettering on), the invalid-readings queue,
// and the chat's fan-out topic (each chat replica creates its own subscription on start).
param location string
param tags object
param name string
@description('Standard: topics (the chat fan-out) need it; Basic has queues only.')
@allowed(['Standard', 'Premium'])
param skuName string = 'Standard'
param queueName string
param invalidQueueName string
@description('Topic the chat replicas fan their events out through.')
param chatTopicName string = 'chat-events'
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

// Chat events: short-lived (a replica that missed one reads it from the database).
resource chatTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: chatTopicName
  properties: {
    defaultMessageTimeToLive: 'PT1M'
    maxSizeInMegabytes: 1024
  }
}

// The chat replicas' key: Manage to create and delete their own subscription, Send and Listen;
// scoped to the topic, so it reaches neither the readings queues nor other entities.
resource chatReplicas 'Microsoft.ServiceBus/namespaces/topics/authorizationRules@2024-01-01' = {
  parent: chatTopic
  name: 'chat-replicas'
  properties: {
    rights: ['Manage', 'Listen', 'Send']
  }
}

output NAME string = namespace.name
output FULLY_QUALIFIED_NAMESPACE string = '${namespace.name}.servicebus.windows.net'
output SENSOR_SEND_RULE_NAME string = sensorSend.name
output CHAT_TOPIC_NAME string = chatTopic.name
output CHAT_RULE_NAME string = chatReplicas.name
