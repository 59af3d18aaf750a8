"""A local stand-in for Amazon Bedrock Runtime in many regions (see tests/sim/README.md)."""
