"""How leads reacts to steps elsewhere (domain events: ``@ltc_portal.core.events.on(Model, "step")``).

Nothing yet: no upstream step changes anything here."""
