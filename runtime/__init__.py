"""What every tier shares: settings, Kafka connection and administration, logging, the CLI."""
