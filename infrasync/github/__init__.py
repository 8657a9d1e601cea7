"""The one GitHub client (GraphQL, a little REST, rate limits) and what is
built directly on it: activity fetching, repository checks, stored tokens."""
