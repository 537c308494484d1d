"""The local server's Flask app: the doors' app with the viewer's pages, Resend, the home page
and the door-trace hooks (app.create_local_app), assembled once for `kafka-demo local`."""
