"""Models: which classifier computes which signal in this session's simulations.

A team pastes or opens a ``models.yaml`` (``policies.models_config``: signal kind or signal -> a
Hugging Face ONNX export directory, plus a models root for the models the policy names), sees each
model checked (its role, labels or width, and the sha256 of its weights), and applies it: the
session's simulators are rebuilt on those models. The mapping is saved with the current policy version
(and read back from it), or downloaded as ``models.yaml``.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

import panel as pn
import param
import yaml

from policies.api import KIND_ROLES, ModelsConfig, PolicyError, Store, describe_model, dump_models_yaml, models_from_data

from .simulators import Simulators
from .state import StateView

EXAMPLE = "models:\n  - kind: domain\n    path: ./my-domain-model\n"


class ModelsView(StateView):
    """Edit, check and apply the session's own-model mapping."""

    store = param.ClassSelector(class_=Store, allow_None=True, doc="Where the mapping is saved with a version.")
    simulators = param.ClassSelector(class_=Simulators, allow_None=True, doc="The session's simulators.")
    base = param.String(default=str(Path.cwd()), doc="Directory relative model paths are read from.")
    applied = param.ClassSelector(class_=ModelsConfig, default=ModelsConfig(), doc="The mapping in use.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.simulators = self.simulators or Simulators()
        self.text = pn.widgets.TextAreaInput(label="models.yaml", value="", placeholder=EXAMPLE, height=180,
                                             sizing_mode="stretch_width", css_classes=["models-yaml"])
        self.base_input = pn.widgets.TextInput.from_param(self.param.base, label="Relative paths from")
        self.upload = pn.widgets.FileInput(accept=".yaml,.yml")
        self.apply_button = pn.widgets.Button(label="Check and apply", color="primary",
                                              css_classes=["models-apply"])
        self.save_button = pn.widgets.Button(label="Save with this version", css_classes=["models-save"])
        self.load_button = pn.widgets.Button(label="Load from this version", css_classes=["models-load"])
        self.download = pn.widgets.FileDownload(callback=self._download, filename="models.yaml",
                                                label="Download models.yaml")
        self.table = pn.pane.HTML(sizing_mode="stretch_width", css_classes=["models-table"])
        self.notice = pn.pane.Alert("", visible=False, sizing_mode="stretch_width", css_classes=["models-notice"])
        self.apply_button.on_click(lambda _: self.apply())
        self.save_button.on_click(lambda _: self.save())
        self.load_button.on_click(lambda _: self.load())
        self.upload.param.watch(lambda e: e.new and setattr(self.text, "value", e.new.decode("utf-8")), "value")
        self.table.object = self._rows([])

    def parse(self) -> ModelsConfig:
        """The mapping the text describes (empty text: the bundled models)."""
        data = yaml.safe_load(self.text.value) if self.text.value.strip() else {"models": []}
        return models_from_data(data, Path(self.base), "models.yaml")

    def apply(self) -> bool:
        """Check every model of the text and, when all load, simulate with them from now on."""
        try:
            config = self.parse()
            rows = [(b, describe_model(b.path, KIND_ROLES[b.kind])) for b in self._with_policy(config).bindings]
        except (PolicyError, yaml.YAMLError) as exc:
            self._say(exc.findings[0].human() if isinstance(exc, PolicyError) else f"models.yaml: {exc}", "danger")
            return False
        self.table.object = self._rows(rows)
        self.simulators.use_models(self._with_policy(config))
        self.applied = config
        count = len(rows)
        self._say(f"Simulating with {count} own model{'s' if count != 1 else ''}." if count
                  else "Simulating with the bundled models.", "success")
        return True

    def save(self) -> bool:
        """Store the applied mapping with the current saved version."""
        if self.store is None or not self.state.version:
            self._say("Save the policy as a version first (Versions tab).", "warning")
            return False
        try:
            self.store.save_version_models(self.state.policy_name, self.state.version,
                                           dump_models_yaml(self.applied, Path(self.base)), self.applied.checksums())
        except PolicyError as exc:
            self._say(exc.findings[0].human(), "danger")
            return False
        self._say(f"Saved the models with {self.state.policy_name} v{self.state.version}.", "success")
        return True

    def load(self) -> bool:
        """Put the mapping saved with the current version in the editor and apply it."""
        found = self.store.get_version_models(self.state.policy_name, self.state.version) \
            if self.store is not None and self.state.version else None
        if found is None:
            self._say("This version has no models saved with it: it simulates with the bundled models.", "info")
            return False
        self.text.value = found.models_yaml
        return self.apply()

    def _with_policy(self, config: ModelsConfig) -> ModelsConfig:
        return config.for_policy(self.state.policy) if self.state.policy is not None else config

    def _download(self) -> io.BytesIO:
        return io.BytesIO(dump_models_yaml(self.applied, Path(self.base)).encode())

    @staticmethod
    def _rows(rows: list[tuple[Any, dict[str, Any]]]) -> str:
        if not rows:
            return "<p>No own models: every signal uses the bundled models.</p>"
        body = "".join(
            f"<tr><td>{html.escape(b.key)}</td><td>{html.escape(str(b.path))}</td><td>{html.escape(b.origin)}</td>"
            f"<td>{d['role']}</td><td>{html.escape(', '.join(d['labels']) if 'labels' in d else str(d['dim']) + '-d')}"
            f"</td><td><code>{d['sha256'][:12]}</code></td></tr>" for b, d in rows)
        return ("<table class='models'><tr><th>signal</th><th>model</th><th>from</th><th>role</th>"
                f"<th>labels / width</th><th>sha256</th></tr>{body}</table>")

    def _say(self, text: str, kind: str) -> None:
        self.notice.object, self.notice.alert_type, self.notice.visible = text, kind, True

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.pane.Markdown("Compute signals with your own classifiers: Hugging Face ONNX exports "
                             "(config.json with id2label, tokenizer.json, model.onnx), per signal kind or signal."),
            pn.Row(self.upload, self.base_input), self.text,
            pn.Row(self.apply_button, self.save_button, self.load_button, self.download),
            self.notice, self.table, sizing_mode="stretch_width")
