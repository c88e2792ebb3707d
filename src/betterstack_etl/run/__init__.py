"""One run of the pipeline, with no Prefect in it (but ``flowrun``, for the flow).

- ``session``       the run's explicit state (``RunSession``, made by ``run_session``);
- ``steps``         the steps, each a plain function over the session;
- ``runner``        ``execute`` (the one place that orders the steps), ``InProcess`` (the
                    embedded default's step runner; the flow has ``PrefectSteps``), ``run`` and
                    the dry-run ``plan``;
- ``summary``       what a run did and would do, with its JSON form;
- ``ledger``        the run ledger's rows (``eai_gateway_runs``);
- ``spool``         the run's own spool folder;
- ``destinations``  the one place that picks a destination (lake, views);
- ``flowrun``       what a Prefect flow run adds: its name, and our log lines in its logs (the
                    flow's only helper; nothing else here imports it or Prefect).
"""
