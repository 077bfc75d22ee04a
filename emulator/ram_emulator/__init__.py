"""Local Alibaba Cloud RAM (2015-05-01) and STS (2015-04-01) endpoint.

The official, unmodified SDKs talk to it over plain HTTP; see README.md.
"""

__version__ = "0.1.0"
