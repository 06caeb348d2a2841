"""Local twin of Azure Web PubSub, configured only through a Web PubSub connection string."""

from local.webpubsub.connstr import TwinSettings, parse_connection_string
from local.webpubsub.server import build_app, start_twin

__all__ = ["TwinSettings", "build_app", "parse_connection_string", "start_twin"]
