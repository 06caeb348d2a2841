// A user-assigned identity (the chat app's, the migration job's): it exists, with its roles, before the app pulls images or secrets.
param location string
param tags object
param name string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output ID string = identity.id
output PRINCIPAL_ID string = identity.properties.principalId
output CLIENT_ID string = identity.properties.clientId
