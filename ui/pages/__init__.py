"""The dashboard's pages; each file is run by `st.navigation` and renders itself."""
