"""The chat UI (Gradio) over the assistant: ``python -m ui`` starts it on 127.0.0.1.

    from ui import create_app, launch_options
    demo = create_app(build_assistant(load_settings()).warm_up())
    demo.launch(server_name="127.0.0.1", server_port=7860, **launch_options())
"""

from .app import EXAMPLES, build_settings_controls, create_app, launch_options, serve

__all__ = ["EXAMPLES", "build_settings_controls", "create_app", "launch_options", "serve"]
