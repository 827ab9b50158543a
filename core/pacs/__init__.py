"""Hospital archives (PACS): the archives the user added, and query/retrieve over DIMSE and DICOMweb.

Protocol work only (pynetdicom for DIMSE, dicomweb-client for DICOMweb): what is retrieved
lands in a folder that the command line hands to the library's ordinary import.
"""
