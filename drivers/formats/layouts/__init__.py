"""One module per file layout. Each declares ``LAYOUT`` (a :class:`drivers.formats.common.Layout`:
name, description, detector, parser) and is found by :mod:`drivers.formats.registry`, so a new
layout is one new module here."""
