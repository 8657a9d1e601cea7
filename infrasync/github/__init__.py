"""The one GitHub client (REST + GraphQL, conditional requests, rate limits) and what is
built directly on it: activity fetching, repository checks, stored tokens."""
