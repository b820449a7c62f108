"""Wire codecs shared by model adapters (``models/``) and servers (``serve/``)."""
