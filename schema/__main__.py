"""Print the GraphQL schema as SDL: `python -m schema > schema/schema.graphql`."""

from schema.build import build_schema
from service.settings import Settings

print(build_schema(Settings()).as_str())
