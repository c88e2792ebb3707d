"""One run of the pipeline, with no Prefect in it.

- ``session``       the run's explicit state (``RunSession``, made by ``run_session``);
- ``steps``         the steps, each a plain function over the session;
- ``runner``        ``execute`` (the one place that orders the steps), ``InProcess`` (the
                    embedded default's step runner; the flow has ``PrefectSteps``), ``run`` and
                    the dry-run ``plan``;
- ``summary``       what a run did and would do, with its JSON form;
- ``ledger``        the run ledger's rows (``eai_gateway_runs``);
- ``spool``         the run's own spool folder;
- ``destinations``  the one place that picks a destination (lake, views).
"""
