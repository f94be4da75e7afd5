"""Bedrock Streaming Lab's core: everything that is not Streamlit, usable from the CLI and tests."""
