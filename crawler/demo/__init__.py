"""The bundled demo: a county government portal served on 127.0.0.1 (also the tests' site server)."""
