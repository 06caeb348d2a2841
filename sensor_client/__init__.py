"""Smart-meter simulator: reads cumulative kWh readings from CSV and publishes them."""
