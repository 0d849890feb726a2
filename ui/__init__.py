"""The Kivy touchscreen: the customer screen, the hall board and the staff panel.

A process of its own (``kiosk ui``, started and restarted by :mod:`ui.supervisor` under
``kiosk run``), talking to the core over the control socket (:mod:`ui.link`): a watch
stream in, commands out, never touching the core's state and never blocking Kivy's
thread. :mod:`ui.app` builds the screens of a mode; :mod:`ui.base` is the contract every
screen follows; :mod:`ui.theme` holds sizes, colours and the CJK font. Kivy is imported
only when a screen runs: ``import ui`` and :mod:`ui.main` stay cheap for the CLI.
"""
