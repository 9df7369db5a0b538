"""The base of the platform's pydantic models: their validators are built when first used, not at import.

A handler imports the models of every route its function serves, and the API's response models of
every function (`minyi.api.schemas`); building each model's validator and serialiser at import was most
of a cold start's own work, for models a given request never touches. With `defer_build` a model is
built on its first validation or serialisation (the same result), so an import pays only for the
class statements. Every model of the domain, the API, the configuration and the services derives from
`Model` (a model's own `model_config` is merged with this one).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
