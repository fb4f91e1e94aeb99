"""The REST API of the incidents app (docs/api.md): thin views over the domain services."""
