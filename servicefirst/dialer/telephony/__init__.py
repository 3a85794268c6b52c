"""The telephony port and its adapters (simulator, SIP, Asterisk AMI), chosen by settings."""
