"""placeholder"""
def bind(cls):
    pass
