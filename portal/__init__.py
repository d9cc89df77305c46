"""The portal: server-rendered pages for leaders and auditors, served by Polarity itself and
reading only through the GraphQL schema, as the signed-in person."""

from portal.app import Portal

__all__ = ["Portal"]
