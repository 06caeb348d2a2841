"""Destinations: RabbitMQ, Azure Service Bus and the platform's HTTP ingestion endpoint."""
