"""GraphQL documents the tests send, written as a console or script would."""

CONNECTION_FIELDS = """
  id name status settings secretsSet createdBy createdAt updatedAt authorizedAt
  hasRecentFailures recentFailureCount
  connector { key name category requiresAuthorization }
"""

CREATE_CONNECTION = f"""
mutation Create($input: CreateConnectionInput!) {{
  createConnection(input: $input) {{
    connection {{ {CONNECTION_FIELDS} }}
    authorizationUrl
    userErrors {{ code message field }}
  }}
}}
"""

UPDATE_CONNECTION = f"""
mutation Update($id: ID!, $input: UpdateConnectionInput!) {{
  updateConnection(id: $id, input: $input) {{
    connection {{ {CONNECTION_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}
"""

DELETE_CONNECTION = """
mutation Delete($id: ID!) {
  deleteConnection(id: $id) { deletedId userErrors { code message field } }
}
"""

AUTHORIZE_CONNECTION = f"""
mutation Authorize($id: ID!) {{
  authorizeConnection(id: $id) {{
    connection {{ {CONNECTION_FIELDS} }} authorizationUrl userErrors {{ code message field }}
  }}
}}
"""

REVOKE_CONNECTION = f"""
mutation Revoke($id: ID!) {{
  revokeConnection(id: $id) {{
    connection {{ {CONNECTION_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""

REAUTHORIZE_CONNECTION = f"""
mutation Reauthorize($id: ID!, $settings: JSON, $allow: Boolean! = false) {{
  reauthorizeConnection(id: $id, settings: $settings, allowAccountChange: $allow) {{
    connection {{ {CONNECTION_FIELDS} }} authorizationUrl userErrors {{ code message field }}
  }}
}}
"""

CONNECTION = f"""
query One($id: ID!) {{ connection(id: $id) {{ {CONNECTION_FIELDS} }} }}
"""

CONNECTIONS = """
query List($search: String, $connectorKey: ID, $status: ConnectionStatus, $first: Int,
           $after: String) {
  connections(search: $search, connectorKey: $connectorKey, status: $status, first: $first,
              after: $after) {
    nodes { id name status connector { key } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""

ACTIVITIES = """
query Activities($connectionId: ID, $jobId: ID, $status: ActivityStatus, $kind: ActivityKind,
                 $since: DateTime, $first: Int, $after: String) {
  activities(connectionId: $connectionId, jobId: $jobId, status: $status, kind: $kind,
             since: $since, first: $first, after: $after) {
    nodes { id kind status actor message error connectionName connection { id } job { id }
            recordsRead recordsWritten recordsFailed createdAt startedAt finishedAt }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""

SET_LIMIT = """
mutation Limit($tenant: String!, $key: ID!, $max: Int!) {
  setConnectionLimit(tenant: $tenant, connectorKey: $key, maxConnections: $max) {
    connectorKey maxConnections userErrors { code message field }
  }
}
"""

JOB_FIELDS = """
  id name sourceObject destinationObject syncMode schedule enabled builtIn nextRunAt
  fieldMappings { source target key }
  connection { id name }
  lastRun { id status }
"""

CREATE_JOB = f"""
mutation CreateJob($input: CreateJobInput!) {{
  createJob(input: $input) {{ job {{ {JOB_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

UPDATE_JOB = f"""
mutation UpdateJob($id: ID!, $input: UpdateJobInput!) {{
  updateJob(id: $id, input: $input) {{ job {{ {JOB_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

DELETE_JOB = """
mutation DeleteJob($id: ID!) { deleteJob(id: $id) { deletedId userErrors { code message } } }
"""

JOBS = f"""
query Jobs($connectionId: ID, $first: Int, $after: String) {{
  jobs(connectionId: $connectionId, first: $first, after: $after) {{
    nodes {{ {JOB_FIELDS} }} pageInfo {{ hasNextPage endCursor }} totalCount
  }}
}}
"""

JOB = f"query Job($id: ID!) {{ job(id: $id) {{ {JOB_FIELDS} }} }}"

RUN_JOB = """
mutation Run($id: ID!, $key: String) {
  runJob(id: $id, idempotencyKey: $key) {
    activity { id kind status actor job { id } connection { id } }
    userErrors { code message field }
  }
}
"""

CANCEL = """
mutation Cancel($id: ID!) {
  cancelActivity(id: $id) { activity { id status message } userErrors { code message } }
}
"""

ACTIVITY = """
query Activity($id: ID!) { activity(id: $id) { id kind status connectionName connection { id } } }
"""

MIXPANEL_SETTINGS = {
    "project_id": 3141592,
    "service_account_username": "svc.user",
    "service_account_secret": "mp-secret-value-123",
}
