"""The steering group's Streamlit dashboard; reads the services over HTTP only."""
