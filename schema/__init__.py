"""The GraphQL API: types built from view rows and objects, queries over the views and history,
mutations that run the use cases, typed errors, and limits on what an operation may cost."""
