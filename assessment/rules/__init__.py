"""The rule pack and the engine that fires it.

Modules: ``rulebase`` (loading and checking a pack), ``conditions`` (the condition language),
``compiler`` (pack -> durable-rules JSON), ``engine`` (the durable-rules adapter, the only
importer of durable-rules), ``derive`` and ``facts`` (profile -> facts), ``edition`` (the target
edition), ``run`` (firing a pack on facts), ``checks`` (a profile against the race's history),
``plan_spec`` (the schema of plan.yaml), ``explain`` and ``examples``. Imports
``model`` and ``estimate`` (whose finish time the facts carry).
"""
