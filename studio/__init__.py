"""The Routing Studio app: composes the widgets, holds session state and wires pages (``panel serve studio``)."""
