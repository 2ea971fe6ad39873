"""Reports: terminal tables (rich), JSON and Excel. They read results; they compute nothing."""
