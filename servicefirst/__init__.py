"""ServiceFirst: the customer-service platform of a customer-first bank."""

__version__ = "0.1.0"
