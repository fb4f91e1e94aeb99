"""The API pieces every app's views share: pagination, the schema, parsing, error answers, view mixins."""
