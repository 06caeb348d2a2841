"""A gRPC-Web bridge speaking Envoy's grpc_web filter wire protocol, for runs without Envoy."""
