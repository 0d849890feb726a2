"""The Kivy touchscreen (customer screen and hall screen).

Not part of this build yet: it arrives with its own issue. It will subscribe to events
through :class:`kiosk.ports.Subscriber`, hand state to Kivy with ``Clock.schedule_once``,
and submit ``Issue`` commands through :meth:`kiosk.service.KioskService.submit`, never
touching the core from Kivy's thread.
"""
