"""What ``python -m local new NAME`` writes as text: the README, the template's blocks, the driver, the tests.

Placeholders are ``__NAME__`` (folder name), ``__PASCAL__`` (logical-id prefix), ``__MODULE__`` (Python module),
``__TITLE__``, ``__SOURCE__`` and ``__DETAIL_TYPE__``, filled by :func:`fill`.
"""

from __future__ import annotations

from local.scaffold.files import Names


def fill(text: str, names: Names) -> str:
    """``text`` with the placeholders replaced by ``names``."""
    for key, value in (("__NAME__", names.name), ("__PASCAL__", names.pascal), ("__MODULE__", names.module),
                       ("__TITLE__", names.title), ("__SOURCE__", names.source),
                       ("__DETAIL_TYPE__", names.detail_type)):
        text = text.replace(key, value)
    return text


README = """\
# __TITLE__

Checks a request and **publishes its message** to the `__PASCAL__Topic` SNS topic. A `__DETAIL_TYPE__` event on
the application bus starts it (the event's `detail` is the input), or the console with
`{"requestId", "message"}`. It was scaffolded by `python -m local new __NAME__`: every file is in place and
works; replace the steps with the workflow's own (see the project README, "Adding a workflow").

| File | What it is |
| --- | --- |
| `statemachine.asl.json` | The definition (JSONata; opens as is in Workflow Studio) |
| `mock-config.json` | Step Functions Local test cases: `HappyPath`, `PublishThrottled`, `TopicRefuses` |
| `events/console-start.json` | The console input |
| `events/__NAME__-requested.json` | The `__DETAIL_TYPE__` event that starts it, as EventBridge delivers it |
| `events/demo.json` | What `make demo` sends and expects |
| `../../schemas/__NAME__.*.schema.json` | Input, trigger event and output (JSON Schema 2020-12) |
| `../../local/workflows/__MODULE__.py` | Its driver: how the demo, bench, cost and reliability checks play it |
| `../../tests/workflows/test___MODULE__.py` | Scenario tests on the embedded engine |

## Diagram

<!-- diagram:start -->
<!-- diagram:end -->

## Input and output

Input (`schemas/__NAME__.input.schema.json`): `requestId` (1 to 128 characters) and `message` (1 to 1000
characters), non-blank strings. Output: `{"requestId", "status": "PUBLISHED", "messageId"}`.

## Errors and retries

| Error | When |
| --- | --- |
| `__PASCAL__.InvalidInput` | The input breaks its schema; the cause names the field. Nothing is called. |
| `__PASCAL__.NotPublished` | SNS refused the message after its retries; the cause names the request and the error |

The trigger rule retries a start 4 times within 15 minutes, then keeps the event in `__PASCAL__RequestedDLQ`.
"""

RESOURCES = """\
  # --- __NAME__ resources ---------------------------------------------
  # Messages the __NAME__ workflow publishes: subscribe their consumers (e-mail, a queue, a function) here.
  # Encrypted with the AWS managed key for SNS: the state machine's role publishes, no service principal does.
  __PASCAL__Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: __TITLE__
      KmsMasterKeyId: alias/aws/sns

  # Requests the trigger rule could not start an execution with, kept 14 days for a replay. Defined here, not by
  # SAM (DeadLetterConfig Type: SQS), because SAM's generated queue cannot be encrypted.
  __PASCAL__RequestedDLQ:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
      SqsManagedSseEnabled: true

  __PASCAL__RequestedDLQPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref __PASCAL__RequestedDLQ]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: RequestedRuleDeadLetters
            Effect: Allow
            Principal:
              Service: events.amazonaws.com
            Action: sqs:SendMessage
            Resource: !GetAtt __PASCAL__RequestedDLQ.Arn
            Condition:
              ArnEquals:  # the rule SAM generates for the state machine's Requested event
                aws:SourceArn: !GetAtt __PASCAL__StateMachineRequested.Arn

  __PASCAL__LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !Ref LogRetentionDays

  # Standard workflow, scaffolded by `python -m local new __NAME__`: checks a request, publishes its message.
  # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-statemachine.html
  __PASCAL__StateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: STANDARD
      DefinitionUri: workflows/__NAME__/statemachine.asl.json
      DefinitionSubstitutions:
        TopicArn: !Ref __PASCAL__Topic
      Logging:
        Level: ERROR
        IncludeExecutionData: false
        Destinations:
          - CloudWatchLogsLogGroup:
              LogGroupArn: !GetAtt __PASCAL__LogGroup.Arn
      Tracing:
        Enabled: true
      Policies:
        - Statement:
            - Sid: PublishMessages  # the AWS managed key alias/aws/sns needs no KMS statement
              Effect: Allow
              Action: sns:Publish
              Resource: !Ref __PASCAL__Topic
            - Sid: DeliverLogs  # CloudWatch Logs vended delivery needs "*"
              Effect: Allow
              Action:
                - logs:CreateLogDelivery
                - logs:GetLogDelivery
                - logs:UpdateLogDelivery
                - logs:DeleteLogDelivery
                - logs:ListLogDeliveries
                - logs:PutResourcePolicy
                - logs:DescribeResourcePolicies
                - logs:DescribeLogGroups
              Resource: "*"
            - Sid: WriteTraces
              Effect: Allow
              Action:
                - xray:PutTraceSegments
                - xray:PutTelemetryRecords
                - xray:GetSamplingRules
                - xray:GetSamplingTargets
              Resource: "*"
      Events:
        # A request event (its source and detail type below) starts an execution with the event's detail as
        # input. StartExecution failures are retried for 15 minutes, then the event goes to the dead-letter queue.
        Requested:
          Type: EventBridgeRule
          Properties:
__BUS__            Pattern:
              source: [__SOURCE__]
              detail-type: [__DETAIL_TYPE__]
            InputPath: $.detail
            RetryPolicy:
              MaximumRetryAttempts: 4
              MaximumEventAgeInSeconds: 900
            DeadLetterConfig:
              Arn: !GetAtt __PASCAL__RequestedDLQ.Arn
  # --- end __NAME__ resources -----------------------------------------
"""

OUTPUTS = """\
  # --- __NAME__ outputs ---------------------------------------------
  __PASCAL__StateMachineArn:
    Description: 'The __NAME__ workflow (console input {"requestId", "message"}).'
    Value: !Ref __PASCAL__StateMachine
  __PASCAL__TopicArn:
    Description: Subscribe the consumers of the __NAME__ messages to this topic.
    Value: !Ref __PASCAL__Topic
  # --- end __NAME__ outputs -----------------------------------------
"""
