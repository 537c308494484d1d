"""The Flask app served by IRIS WSGI (web app /flask) and by gunicorn in the IRIS container.

Both look for the module-level `app`. It reaches Python.KafkaRestBS through
IoP's director on first use, never at import; see kafka_demo.rest.contract for the contract.
"""

from kafka_demo.rest.iris.app import create_iris_app

app = create_iris_app()

if __name__ == "__main__":
    # Development only: the Flask server, as the original demo ran it.
    app.run(host="0.0.0.0", port=5000)
