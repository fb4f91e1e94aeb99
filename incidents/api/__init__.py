"""The REST API of the incidents app (API.md): thin views over the domain services."""
